//! A loopback proxy in front of the real PDS that can misbehave on cue:
//! answer 503 instead of forwarding, or forward and then hold the answer
//! back (the record is created, the daemon never learns it). The PDS itself
//! cannot be made to fail; this puts the faults on the wire where a real
//! network would.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;

/// What to do to the next matching request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer this status without forwarding.
    Status(u16),
    /// Forward, then wait this long before answering.
    DelayAnswer(Duration),
}

struct Shared {
    target: String,
    faults: Mutex<Vec<(String, VecDeque<Fault>)>>,
    http: reqwest::Client,
    /// (method, NSID) of every request, in order.
    seen: Mutex<Vec<(String, String)>>,
}

/// The proxy; `url` is what the daemon's `api_base` points at.
pub struct PdsProxy {
    pub url: String,
    shared: Arc<Shared>,
    _task: tokio::task::JoinHandle<()>,
}

impl PdsProxy {
    pub async fn start(target: &str) -> PdsProxy {
        let shared = Arc::new(Shared {
            target: target.to_string(),
            faults: Mutex::new(Vec::new()),
            http: {
                tweetchat::tls::init();
                reqwest::Client::new()
            },
            seen: Mutex::new(Vec::new()),
        });
        let app = Router::new().fallback(forward).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        PdsProxy {
            url,
            shared,
            _task: task,
        }
    }

    /// Scripts `fault` for the next `n` calls of `nsid`.
    pub fn push_faults(&self, nsid: &str, fault: Fault, n: usize) {
        let mut faults = self.shared.faults.lock().unwrap();
        let queue = match faults.iter_mut().find(|(k, _)| k == nsid) {
            Some((_, q)) => q,
            None => {
                faults.push((nsid.to_string(), VecDeque::new()));
                &mut faults.last_mut().unwrap().1
            }
        };
        queue.extend(std::iter::repeat_n(fault, n));
    }

    /// How many calls of `nsid` arrived.
    pub fn calls(&self, nsid: &str) -> usize {
        self.shared
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, n)| n == nsid)
            .count()
    }
}

fn next_fault(shared: &Shared, nsid: &str) -> Option<Fault> {
    let mut faults = shared.faults.lock().unwrap();
    faults
        .iter_mut()
        .find(|(k, _)| k == nsid)
        .and_then(|(_, q)| q.pop_front())
}

async fn forward(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let nsid = uri.path().trim_start_matches("/xrpc/").to_string();
    shared
        .seen
        .lock()
        .unwrap()
        .push((method.to_string(), nsid.clone()));
    let fault = next_fault(&shared, &nsid);
    if let Some(Fault::Status(status)) = fault {
        return Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(Body::from(
                r#"{"error":"UpstreamFailure","message":"the proxy says no"}"#,
            ))
            .unwrap();
    }
    let url = format!(
        "{}{}",
        shared.target,
        uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    );
    let mut request = shared.http.request(method, url).body(body);
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    let answer = match request.send().await {
        Ok(answer) => answer,
        Err(e) => {
            return Response::builder()
                .status(StatusCode::BAD_GATEWAY)
                .body(Body::from(e.to_string()))
                .unwrap();
        }
    };
    let status = answer.status();
    let content_type = answer.headers().get("content-type").cloned();
    let bytes = answer.bytes().await.unwrap_or_default();
    if let Some(Fault::DelayAnswer(delay)) = fault {
        tokio::time::sleep(delay).await;
    }
    let mut response = Response::builder().status(status);
    if let Some(ct) = content_type {
        response = response.header("content-type", ct);
    }
    response.body(Body::from(bytes)).unwrap()
}
