//! Where the authorization code comes back: X sends the browser to the
//! redirect URI with `?state=…&code=…` (or `?error=…` when the owner said
//! no). [`Loopback`] listens there; [`code_from_pasted`] reads the same
//! address (or the bare code) typed by the operator. Both check `state`, the
//! guard against a code that this run did not ask for.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Html;
use reqwest::Url;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// How long the listener waits for the browser.
const WAIT: Duration = Duration::from_secs(600);

/// A listener on the redirect URI's loopback address.
pub struct Loopback {
    listener: TcpListener,
    path: String,
}

impl Loopback {
    /// Listens on the host and port of `redirect_uri`, which must be plain
    /// http on a loopback address (X allows that for native apps).
    pub async fn bind(redirect_uri: &str) -> anyhow::Result<Self> {
        let url = Url::parse(redirect_uri)
            .with_context(|| format!("--redirect-uri `{redirect_uri}` is not an address"))?;
        let host = url.host_str().unwrap_or_default();
        let loopback = host == "localhost"
            || host
                .trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if url.scheme() != "http" || !loopback {
            bail!(
                "cannot listen on {redirect_uri}: the callback must be http on 127.0.0.1 or \
                 localhost (e.g. http://127.0.0.1:8765/callback); otherwise use \
                 --no-browser-callback and paste the address"
            );
        }
        let port = url.port().unwrap_or(80);
        let addr = if host == "localhost" {
            SocketAddr::from(([127, 0, 0, 1], port))
        } else {
            let ip: std::net::IpAddr = host.trim_matches(['[', ']']).parse()?;
            SocketAddr::new(ip, port)
        };
        let listener = TcpListener::bind(addr).await.with_context(|| {
            format!(
                "cannot listen on {addr} for the callback; free the port, or register another \
                 callback for the app and pass it with --redirect-uri"
            )
        })?;
        Ok(Self {
            listener,
            path: url.path().to_string(),
        })
    }

    /// Serves the callback until a code (or a refusal) arrives; the browser
    /// is told whether it can close the tab.
    pub async fn wait(self, expected_state: &str) -> anyhow::Result<String> {
        let (tx, mut rx) = mpsc::channel(1);
        let shared = Callback {
            path: self.path,
            expected_state: expected_state.to_string(),
            tx,
        };
        let app = Router::new()
            .fallback(on_request)
            .with_state(std::sync::Arc::new(shared));
        let server = tokio::spawn(async move { axum::serve(self.listener, app).await });
        let result = tokio::time::timeout(WAIT, rx.recv()).await;
        // Give the browser its page before the listener goes away.
        tokio::time::sleep(Duration::from_millis(100)).await;
        server.abort();
        match result {
            Ok(Some(result)) => result,
            Ok(None) => bail!("the callback listener stopped before X sent a code"),
            Err(_) => bail!(
                "no answer from the browser within {} minutes; run `tweetchat auth x` again",
                WAIT.as_secs() / 60
            ),
        }
    }
}

struct Callback {
    path: String,
    expected_state: String,
    tx: mpsc::Sender<anyhow::Result<String>>,
}

async fn on_request(
    State(callback): State<std::sync::Arc<Callback>>,
    uri: Uri,
) -> (StatusCode, Html<String>) {
    if uri.path() != callback.path {
        return (StatusCode::NOT_FOUND, Html("not the callback".into()));
    }
    let pairs = query_pairs(uri.query().unwrap_or(""));
    let result = code_from_query(&pairs, &callback.expected_state);
    let page = match &result {
        Ok(_) => (
            StatusCode::OK,
            "tweetchat has the code. You can close this tab.".to_string(),
        ),
        Err(err) => (
            StatusCode::BAD_REQUEST,
            format!(
                "tweetchat could not use this answer: {}",
                escape(&err.to_string())
            ),
        ),
    };
    // Only the first answer counts; later ones find the channel full.
    let _ = callback.tx.try_send(result);
    (
        page.0,
        Html(format!(
            "<!doctype html><title>tweetchat</title><p>{}</p>",
            page.1
        )),
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://callback/?{query}"))
        .map(|url| url.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

/// The code from the callback's query, after checking `state` and `error`.
fn code_from_query(pairs: &[(String, String)], expected_state: &str) -> anyhow::Result<String> {
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if let Some(error) = get("error") {
        let description = get("error_description").unwrap_or("no description");
        bail!(
            "X did not authorize the app ({error}: {description}); run `tweetchat auth x` again and approve it"
        );
    }
    match get("state") {
        Some(state) if state == expected_state => {}
        Some(_) => bail!(
            "the answer's `state` does not match this run's: it belongs to another \
             authorization attempt; use the address from this run"
        ),
        None => bail!("the answer has no `state`; paste the whole address the browser went to"),
    }
    get("code")
        .filter(|code| !code.is_empty())
        .map(str::to_string)
        .ok_or_else(|| {
            anyhow!("the answer has no `code`; paste the whole address the browser went to")
        })
}

/// The code from what the operator pasted: the whole redirect address (its
/// `state` is checked) or the bare code.
pub fn code_from_pasted(pasted: &str, expected_state: &str) -> anyhow::Result<String> {
    let pasted = pasted.trim();
    if pasted.is_empty() {
        bail!("nothing was pasted; paste the address the browser went to after approving");
    }
    match pasted.split_once('?') {
        Some((_, query)) => code_from_query(&query_pairs(query), expected_state),
        None if pasted.contains('=') || pasted.contains('&') => {
            code_from_query(&query_pairs(pasted), expected_state)
        }
        None => Ok(pasted.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_address_or_the_bare_code() {
        let url = "http://127.0.0.1:8765/callback?state=s1&code=abc%3D1\n";
        assert_eq!(code_from_pasted(url, "s1").unwrap(), "abc=1");
        assert_eq!(code_from_pasted("  abc \n", "s1").unwrap(), "abc");
        assert_eq!(code_from_pasted("state=s1&code=c", "s1").unwrap(), "c");
    }

    #[test]
    fn a_foreign_state_or_a_refusal_is_an_error() {
        let err = code_from_pasted("http://h/cb?state=other&code=c", "s1").unwrap_err();
        assert!(err.to_string().contains("does not match"), "{err}");
        let err = code_from_pasted("http://h/cb?error=access_denied&state=s1", "s1").unwrap_err();
        assert!(err.to_string().contains("access_denied"), "{err}");
        let err = code_from_pasted("http://h/cb?state=s1", "s1").unwrap_err();
        assert!(err.to_string().contains("no `code`"), "{err}");
        assert!(code_from_pasted("\n", "s1").is_err());
    }

    #[tokio::test]
    async fn only_loopback_http_is_listened_on() {
        let err = Loopback::bind("https://example.com/cb")
            .await
            .err()
            .unwrap();
        assert!(err.to_string().contains("--no-browser-callback"), "{err}");
        assert!(Loopback::bind("http://127.0.0.1:0/cb").await.is_ok());
    }
}
