//! `tweetchat healthcheck`: asks the running daemon's `/healthz`, for
//! Docker's `HEALTHCHECK` and for people.
//!
//! Exit 0 on 200; exit 1 with a one-line reason otherwise (refused, timed out,
//! 503, listener turned off). The container has no shell or curl, so this is
//! the probe.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;

use crate::cli::HealthcheckArgs;
use crate::settings::Settings;

/// Docker's default probe timeout is 30 s; answer well inside it.
const TIMEOUT: Duration = Duration::from_secs(3);

pub fn run(config_dir: &Path, args: HealthcheckArgs) -> anyhow::Result<ExitCode> {
    let url = match args.url {
        Some(url) => healthz_url(&url),
        None => {
            let settings = Settings::load(config_dir)?;
            if settings.http.listen.is_empty() {
                eprintln!(
                    "unhealthy: http.listen is empty, so the daemon serves no /healthz; set it or pass --url"
                );
                return Ok(ExitCode::from(1));
            }
            healthz_url(&connectable(&settings.http.listen))
        }
    };
    crate::tls::init();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    match runtime.block_on(probe(&url)) {
        Ok(()) => {
            println!("ok: {url}");
            Ok(ExitCode::SUCCESS)
        }
        Err(reason) => {
            eprintln!("unhealthy: {reason}");
            Ok(ExitCode::from(1))
        }
    }
}

/// GETs `url`; `Err` is the one-line reason it is not healthy.
async fn probe(url: &str) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| one_line(&e))?;
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| format!("{url}: {}", one_line(&e.without_url())))?;
    let status = response.status();
    if status == reqwest::StatusCode::OK {
        return Ok(());
    }
    let body = response.text().await.unwrap_or_default();
    let first = body.lines().next().unwrap_or_default().trim();
    Err(format!("{url} answered {status}: {first}"))
}

/// An error and its causes on one line (`a: b: c`).
fn one_line(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `--url` may be `host:port`, `http://host:port` or a full URL.
fn healthz_url(address: &str) -> String {
    let address = address.trim();
    let with_scheme = if address.contains("://") {
        address.to_string()
    } else {
        format!("http://{address}")
    };
    let after_scheme = with_scheme.split_once("://").map_or("", |(_, rest)| rest);
    match after_scheme.find('/') {
        Some(slash) if after_scheme[slash..] != *"/" => with_scheme,
        _ => format!("{}/healthz", with_scheme.trim_end_matches('/')),
    }
}

/// A listen address bound to every interface is reached on loopback.
fn connectable(listen: &str) -> String {
    match listen.rsplit_once(':') {
        Some(("0.0.0.0", port)) => format!("127.0.0.1:{port}"),
        Some(("[::]", port)) => format!("[::1]:{port}"),
        _ => listen.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_get_a_scheme_and_the_healthz_path() {
        assert_eq!(
            healthz_url("127.0.0.1:9090"),
            "http://127.0.0.1:9090/healthz"
        );
        assert_eq!(healthz_url("http://h:1/"), "http://h:1/healthz");
        assert_eq!(healthz_url("https://h:1/live"), "https://h:1/live");
    }

    #[test]
    fn wildcard_listeners_are_probed_on_loopback() {
        assert_eq!(connectable("0.0.0.0:9090"), "127.0.0.1:9090");
        assert_eq!(connectable("[::]:9090"), "[::1]:9090");
        assert_eq!(connectable("localhost:9090"), "localhost:9090");
    }
}
